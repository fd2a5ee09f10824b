/** A start that cannot go on for a reason a person fixes (a port taken, a schema behind): one sentence, no stack. */
export class StartRefusal extends Error {
  override name = 'StartRefusal';
}

/** A listener could not open its port; the message is one sentence for a person, with no stack to read. */
export class ListenError extends StartRefusal {
  override name = 'ListenError';
}

/** Which listener failed: its name for people, its configuration section, and its address. */
export interface Listener {
  name: string;
  /** `http` for http.port and http.host. */
  section: string;
  host: string;
  port: number;
}

const variable = (key: string): string => `TANDEM_${key.replace(/\./g, '_').toUpperCase()}`;

/**
 * The error to report for a failed listen(): a port in use, a port that
 * needs privileges or an address that is not this machine's become one
 * ListenError naming the port and its configuration key; anything else is
 * returned as it was.
 */
export function listenError(err: unknown, at: Listener): unknown {
  const portKey = `${at.section}.port`;
  const hostKey = `${at.section}.host`;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `${at.name} port ${at.port} on ${at.host}`;
  const setPort = `set ${portKey} in config.ts (or ${variable(portKey)}) to a free port`;
  switch (code) {
    case 'EADDRINUSE':
      return new ListenError(`The ${where} is already in use by another process; stop that process or ${setPort}.`, {
        cause: err,
      });
    case 'EACCES':
      return new ListenError(`The ${where} needs privileges this process does not have; ${setPort} above 1023.`, {
        cause: err,
      });
    case 'EADDRNOTAVAIL':
      return new ListenError(
        `${at.host} is not an address of this machine, so the ${at.name} port cannot be opened there; set ${hostKey} (or ${variable(hostKey)}) to one of its addresses, or 0.0.0.0.`,
        { cause: err },
      );
    default:
      return err;
  }
}

/** A catch handler for a listen() promise: rethrows its failure as listenError() words it. */
export function rethrowListenError(at: Listener): (err: unknown) => never {
  return (err) => {
    throw listenError(err, at);
  };
}
