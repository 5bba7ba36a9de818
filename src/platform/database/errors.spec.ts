import { QueryFailedError } from 'typeorm';
import { isDatabaseUnavailable, isUniqueViolation } from './errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });
const queryFailed = (driverError: Error) => new QueryFailedError('SELECT 1', [], driverError);

describe('database errors', () => {
  it.each([
    [
      'a refused connection',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    ],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['a pool timeout', new Error('timeout exceeded when trying to connect')],
    ['an admin shutdown (57P01) in a failed query', queryFailed(pgError('57P01', 'terminating connection'))],
    ['a crash shutdown (57P02)', pgError('57P02')],
    ['a server starting up (57P03)', pgError('57P03', 'the database system is starting up')],
    ['a connection exception (08006)', queryFailed(pgError('08006'))],
    ['a refusal inside an AggregateError', new AggregateError([pgError('ECONNREFUSED')], 'connect failed')],
    ['a refusal as a cause', new Error('wrapped', { cause: pgError('ECONNREFUSED') })],
  ])('counts %s as the database being unavailable', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', queryFailed(pgError('23505'))],
    ['a syntax error', queryFailed(pgError('42601'))],
    ['invalid text (NUL)', queryFailed(pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'))],
    ['a plain error', new Error('boom')],
    ['not an error', 'ECONNREFUSED'],
  ])('does not count %s', (_what, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('still knows a unique violation', () => {
    expect(isUniqueViolation(queryFailed(pgError('23505')))).toBe(true);
  });
});
