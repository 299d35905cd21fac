/**
 * Text encoded (UTF-8) once, to be written as it is: to Redis, as a Response body (which takes a Buffer over an
 * ordinary ArrayBuffer).
 */
export type Utf8 = Buffer<ArrayBuffer>;

export const utf8 = (text: string): Utf8 => Buffer.from(text);
