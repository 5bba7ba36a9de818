import jwt from 'jsonwebtoken';
import type { AppConfig } from '../config/app-config';
import { TokenService } from './token.service';

const config = { jwtSecret: 'a-test-secret-of-at-least-32-chars!!', jwtTtlSeconds: 60 } as AppConfig;
const user = { id: 'u1', username: 'alice', tokenGeneration: 2 };
const T0 = Date.parse('2026-11-30T08:00:00.000Z');

describe('the token check', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(() => jest.useRealTimers());

  it('given a token checked once, then it is valid again until its expiry second and refused from then on', () => {
    const tokens = new TokenService(config);
    const { accessToken } = tokens.sign(user);

    expect(tokens.verify(accessToken)).toEqual({ userId: 'u1', generation: 2 });
    jest.setSystemTime(T0 + 59_999);
    expect(tokens.verify(accessToken)).toEqual({ userId: 'u1', generation: 2 });
    jest.setSystemTime(T0 + 60_000);
    expect(tokens.verify(accessToken)).toBeUndefined();
  });

  it('given a valid token checked, when the same claims come with another signature, then they are refused', () => {
    const tokens = new TokenService(config);
    const { accessToken } = tokens.sign(user);
    expect(tokens.verify(accessToken)).toBeDefined();

    const [header, payload] = accessToken.split('.');
    expect(tokens.verify(`${header}.${payload}.${'A'.repeat(43)}`)).toBeUndefined();
    const foreign = jwt.sign({ username: 'alice', gen: 2 }, 'another-secret-of-at-least-32-chars', {
      subject: 'u1',
      expiresIn: 60,
      algorithm: 'HS256',
    });
    expect(tokens.verify(foreign)).toBeUndefined();
  });

  it('given a token without an expiry, then it is refused however often it is sent', () => {
    const tokens = new TokenService(config);
    const forever = jwt.sign({ username: 'alice', gen: 2 }, config.jwtSecret!, {
      subject: 'u1',
      algorithm: 'HS256',
    });

    expect(tokens.verify(forever)).toBeUndefined();
    expect(tokens.verify(forever)).toBeUndefined();
  });
});
