import { createCommercialSettings, type CommercialSettings } from '../db/commercial-settings';
import type { ApiDeps } from './deps';

// One reader (and its short cache) per app, shared by the catalog, the offer engine, trips and the admin API.
const readers = new WeakMap<ApiDeps, CommercialSettings>();
export function commercialSettingsFor(deps: ApiDeps): CommercialSettings {
  let reader = readers.get(deps);
  if (!reader) {
    reader = createCommercialSettings({ db: deps.db, config: deps.config });
    readers.set(deps, reader);
  }
  return reader;
}
