/**
 * tandem: the contract with sibling services.
 *
 * Transport and protocol are chosen per connection: framed or unframed
 * (buffered), binary or compact, on one port.
 */
namespace py tandem
namespace java tandem
namespace go tandem

/** The caller asked for something wrong: bad input, not found, conflict. */
exception UserException {
  1: i32 code,
  2: string message,
}

/** The caller is not authenticated or not allowed. */
exception AuthException {
  1: i32 code,
  2: string message,
}

/** One of our dependencies failed, or we are overloaded. */
exception ServerException {
  1: i32 code,
  2: string message,
}

/** A sibling service we depend on failed or timed out. */
exception ThirdPartyException {
  1: i32 code,
  2: string message,
}

service Tandem {
  /** Liveness: always "pong". */
  string ping(),
}
