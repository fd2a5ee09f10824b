import { validationFailed } from '../core/validation';

/** Maps a domain string enum to the IDL's numbered enum and back, by upper-cased name. */
export function enumCodec<T extends string>(idl: Record<string, string | number>) {
  return {
    encode: (value: T): number => idl[value.toUpperCase()] as number,
    decode: (value: number | undefined, field: string): T => {
      const name = typeof value === 'number' ? idl[value] : undefined;
      if (typeof name !== 'string') {
        throw validationFailed([{ field, message: `unknown value ${String(value)}` }]);
      }
      return name.toLowerCase() as T;
    },
  };
}
