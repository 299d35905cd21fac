/** The cabins, lowest first: the one list behind the database enum `cabin_class`, the API's enums and ranks. */
export const CABINS = ['ECONOMY', 'PREMIUM_ECONOMY', 'BUSINESS', 'FIRST'] as const;
export type Cabin = (typeof CABINS)[number];

/** 0 for ECONOMY up to 3 for FIRST: sorts cabins from the lowest. */
export const cabinRank = (cabin: Cabin): number => CABINS.indexOf(cabin);
