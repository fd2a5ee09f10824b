import thrift from 'thrift';
import { isUtf8 } from '../text';

type ProtocolClass = new (trans: thrift.TTransport) => thrift.TProtocol;

/** A field the generated code skipped: the ids from the argument struct down to it. */
export interface SkippedField {
  path: number[];
  /** The type it arrived with (thrift.Thrift.Type). */
  wireType: number;
}

let decoding: Tracking | undefined;

interface Tracking {
  skipped: SkippedField[];
  notUtf8: string[];
}

/**
 * Skipped fields noted per message. A caller newer than the IDL sends a few
 * unknown fields, and a wrong type is one field; a message of a million
 * unknown fields must not cost a million notes (the message's shape limits
 * bound the skipping itself).
 */
export const MAX_NOTED_SKIPS = 32;

/**
 * The fields the generated code skipped while decoding the message being
 * processed now (set during the synchronous part of `process()`, when the
 * handler is called). The generated readers skip a field whose type does not
 * match the IDL as silently as an unknown one; this is how a wrong type is
 * told apart and named.
 */
export function skippedInThisMessage(): readonly SkippedField[] {
  return decoding?.skipped ?? [];
}

/**
 * The strings of the message being processed now whose bytes were not
 * UTF-8, as the library decoded them (with U+FFFD in place of the bad
 * bytes): argumentErrors finds the fields that hold them and names them.
 */
export function notUtf8InThisMessage(): readonly string[] {
  return decoding?.notUtf8 ?? [];
}

/**
 * `Base` (TBinaryProtocol or TCompactProtocol) for reading requests, noting
 * which struct fields the generated code skipped, by their path of field ids.
 */
function tracking(Base: ProtocolClass): ProtocolClass {
  return class extends (Base as unknown as new (
    trans: thrift.TTransport,
  ) => thrift.TProtocol & Record<string, unknown>) {
    readonly skipped: SkippedField[] = [];
    readonly notUtf8: string[] = [];
    private depth = 0;
    private readonly ids: number[] = [];
    private skipping = false;

    override readMessageBegin(): thrift.TMessage {
      // The handler, called while this message is processed, asks which fields were skipped.
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      decoding = this;
      return super.readMessageBegin();
    }

    override readStructBegin(): thrift.TStruct {
      this.depth += 1;
      return super.readStructBegin();
    }

    override readStructEnd(): void {
      this.depth -= 1;
      super.readStructEnd();
    }

    override readFieldBegin(): thrift.TField {
      const field = super.readFieldBegin();
      this.ids[this.depth] = field.fid;
      return field;
    }

    /**
     * A string read as its bytes (readBinary makes the same length checks)
     * and decoded as the library would, noting one whose bytes are not UTF-8:
     * decoded, U+FFFD would stand in for them and tell nothing apart from a
     * U+FFFD that was sent.
     */
    override readString(): string {
      const bytes = (this as unknown as thrift.TProtocol).readBinary();
      const text = bytes.toString('utf8');
      if (!isUtf8(bytes)) this.notUtf8.push(text);
      return text;
    }

    override skip(type: thrift.Thrift.Type): void {
      if (this.skipping) return this.skipValue(type);
      if (this.skipped.length < MAX_NOTED_SKIPS) {
        this.skipped.push({ path: this.ids.slice(1, this.depth + 1), wireType: type });
      }
      this.skipping = true;
      try {
        this.skipValue(type);
      } finally {
        this.skipping = false;
      }
    }

    private skipValue(type: thrift.Thrift.Type): void {
      // A skipped string is taken as bytes (a slice of the message): the library's skip decodes it as
      // UTF-8 only to drop it, which costs time in its length (megabytes in one field).
      if (type === thrift.Thrift.Type.STRING) this.readBinary();
      else super.skip(type);
    }
  };
}

export const TrackingBinaryProtocol = tracking(thrift.TBinaryProtocol);
export const TrackingCompactProtocol = tracking(thrift.TCompactProtocol);
