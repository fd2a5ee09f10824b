import thrift from 'thrift';
import { logger } from '../log';

/** The part of the thrift package's log API that its type declarations leave out. */
interface ThriftLibraryLog {
  setLogFunc(write: (line: string) => void): void;
}

/**
 * Sends the thrift package's own messages ("thrift: [WARN] ...", which it
 * writes with console.log on stdout) through the process logger, as warnings
 * carrying the library's text: otherwise they are lines that are not JSON in
 * the middle of the JSON log, with no request id and no level a collector
 * can read. Called once at start, by the app and by scripts and workers.
 */
export function routeThriftLibraryLog(): void {
  (thrift as unknown as ThriftLibraryLog).setLogFunc((line) => {
    logger.warn('thrift library message', { detail: line });
  });
}
