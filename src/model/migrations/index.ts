import type { QueryInterface } from 'sequelize';
import * as m0001 from './0001-cs-events';
import * as m0002 from './0002-staff';
import * as m0003 from './0003-cs-daily-report';
import * as m0004 from './0004-risk-flagged-order';
import * as m0005 from './0005-cs-request-scope';
import * as m0006 from './0006-cs-record-via';
import * as m0007 from './0007-cs-request-hash';
import * as m0008 from './0008-cs-list-indexes';
import * as m0009 from './0009-risk-unfinished-indexes';
import * as m0010 from './0010-cs-drop-superseded-indexes';
// make domain: new migrations' imports go above this line.

export interface Migration {
  name: string;
  up: (qi: QueryInterface) => Promise<void>;
  down: (qi: QueryInterface) => Promise<void>;
}

/** Every migration, in order. A new one is a new file here and a line below; never edit an applied one. */
export const migrations: Migration[] = [
  { name: '0001-cs-events', ...m0001 },
  { name: '0002-staff', ...m0002 },
  { name: '0003-cs-daily-report', ...m0003 },
  { name: '0004-risk-flagged-order', ...m0004 },
  { name: '0005-cs-request-scope', ...m0005 },
  { name: '0006-cs-record-via', ...m0006 },
  { name: '0007-cs-request-hash', ...m0007 },
  { name: '0008-cs-list-indexes', ...m0008 },
  { name: '0009-risk-unfinished-indexes', ...m0009 },
  { name: '0010-cs-drop-superseded-indexes', ...m0010 },
  // make domain: new migrations go above this line.
];
