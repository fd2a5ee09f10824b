import thrift from 'thrift';
import { routeThriftLibraryLog } from '../../src/core/rpc';
import { captureLogs } from '../helpers/log-capture';

describe('the thrift package’s own messages', () => {
  it('when the library warns, then the warning is a JSON log line and nothing is printed on stdout', () => {
    const logs = captureLogs();
    routeThriftLibraryLog();
    const printed = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      // The compact protocol warns when a second message begins before the first one's seqid is cleared.
      const transport = new thrift.TBufferedTransport(undefined, () => undefined);
      const protocol = new thrift.TCompactProtocol(transport);
      protocol.writeMessageBegin('ping', thrift.Thrift.MessageType.CALL, 1);
      protocol.writeMessageBegin('ping', thrift.Thrift.MessageType.CALL, 2);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
    }
    const line = logs.lines.find((l) => l.message === 'thrift library message');
    expect(line).toMatchObject({ level: 'warn' });
    expect(String(line?.detail)).toContain('SeqId already set');
  });
});
