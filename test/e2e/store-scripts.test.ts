/**
 * The shared store's atomic steps (services/authenticator/src/store/store-scripts.ts), run
 * against a real redis-server: fencing is what keeps an instance that lost a BSS from
 * changing its state, so it is tested at its source, not only through what an instance did.
 *
 * - a write under the lease value another instance replaced is refused and changes nothing;
 * - a lease that expired while nobody took the BSS is still the holder's (its fence token is
 *   the newest): a write sets it again; once another instance took the BSS, it is not;
 * - a renewal names the leases lost;
 * - after Redis restarted empty, a reclaim raises the fence counter to the holder's token, so
 *   the next takeover gets a larger one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { storeScripts } from '@airlock/authenticator';
import { startRedis, type RedisServer } from '../support/redis.js';

const K = { lease: 'airlock:lease:020000000001', fence: 'airlock:fence:020000000001', state: 'airlock:bss:020000000001', agent: 'airlock:agent:ap-1' };

void describe('shared store scripts on a real Redis', () => {
  let redis: RedisServer;
  const run = async (script: string, keys: string[], args: string[]): Promise<string> => redis.command('EVAL', script, String(keys.length), ...keys, ...args);
  /** TAKEOVER by `instance`: the lease value it got. */
  const takeover = async (instance: string): Promise<string> => {
    const reply = await run(storeScripts.TAKEOVER, [K.lease, K.fence, K.state, K.agent], [instance, '10000', 'ap-1']);
    const m = /\$\d+\r\n(\w+\|\d+\|ap-1)\r\n/.exec(reply);
    assert.ok(m !== null, `TAKEOVER answered ${JSON.stringify(reply)}`);
    return m[1];
  };
  const write = (value: string, field: string): Promise<string> => run(storeScripts.WRITE, [K.lease, K.state, K.fence], [value, '60000', '10000', '1', field, 'sealed']);
  const get = async (key: string): Promise<string> => (await redis.command('GET', key)).split('\r\n')[1] ?? '';

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  void it('a write under a replaced lease value is refused and changes nothing; the new holder\'s is accepted', async () => {
    await redis.command('FLUSHALL');
    const x = await takeover('instancex');
    const y = await takeover('instancey');
    assert.match(x, /\|1\|/);
    assert.match(y, /\|2\|/, 'the second takeover gets a larger token');
    assert.equal(await write(x, 's:old'), ':0\r\n', 'refused');
    assert.equal(await redis.command('HEXISTS', K.state, 's:old'), ':0\r\n', 'nothing written');
    assert.equal(await write(y, 's:new'), ':1\r\n');
    assert.equal(await redis.command('HEXISTS', K.state, 's:new'), ':1\r\n');
  });

  void it('an expired lease nobody took is still the holder\'s (set again by its write); once another instance took the BSS it is not', async () => {
    await redis.command('FLUSHALL');
    const y = await takeover('instancey');
    await redis.command('DEL', K.lease); // expired: the renewal came late
    assert.equal(await write(y, 's:a'), ':1\r\n', 'the fence counter still has its token');
    assert.equal(await get(K.lease), y, 'the lease is set again');
    const z = await takeover('instancez');
    await redis.command('DEL', K.lease); // and z's expired too
    assert.equal(await write(y, 's:b'), ':0\r\n', 'the fence moved past its token: not its BSS');
    assert.equal(await redis.command('HEXISTS', K.state, 's:b'), ':0\r\n');
    assert.equal(await get(K.lease), '', 'nor did it set the lease');
    assert.equal(await write(z, 's:c'), ':1\r\n', 'the newest holder gets it back');
  });

  void it('a renewal names the leases that are not the holder\'s any more', async () => {
    await redis.command('FLUSHALL');
    const x = await takeover('instancex');
    const keys = [K.lease, K.state, K.agent, K.fence];
    assert.equal(await run(storeScripts.RENEW, keys, ['10000', '60000', 'instancex', x]), '*0\r\n', 'renewed');
    await takeover('instancey');
    assert.equal(await run(storeScripts.RENEW, keys, ['10000', '60000', 'instancex', x]), '*1\r\n:1\r\n', 'the first (only) lease is lost');
  });

  void it('after Redis came back empty, a reclaim puts the lease back and raises the fence counter, so the next takeover outranks it', async () => {
    await redis.command('FLUSHALL');
    await takeover('instancea');
    const y = await takeover('instancey'); // token 2
    await redis.command('FLUSHALL'); // restarted empty
    const reclaimKeys = [K.lease, K.fence, K.agent, 'airlock:claims', 'airlock:claim-owner', 'airlock:agent-claims:ap-1', 'airlock:claim-seq'];
    assert.equal(await run(storeScripts.RECLAIM, reclaimKeys, [y, '10000', 'ap-1', '60000', 'instancey', '2', '020000000001']), ':1\r\n');
    assert.equal(await get(K.lease), y);
    assert.equal(await get(K.fence), '2');
    assert.equal(await redis.command('HGET', 'airlock:claim-owner', '020000000001'), '$4\r\nap-1\r\n', 'its claim recorded again');
    assert.match(await takeover('instancez'), /\|3\|/, 'larger than every token handed out before the restart');
    assert.equal(await run(storeScripts.RECLAIM, reclaimKeys, [y, '10000', 'ap-1', '60000', 'instancey', '2', '020000000001']), ':0\r\n', 'taken since: not reclaimed');
  });
});
