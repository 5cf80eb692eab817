// Ricart-Agrawala when messages do not get through at once: two lock instances joined by an in-memory network whose
// member views and links the test controls. A REPLY owed to a member this node cannot see yet (a restarted node's
// REQUEST outran its heartbeat) is delivered when it appears; a REQUEST that failed is sent again on the next
// heartbeat; a REPLY answering an older request does not let a newer one in.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Membership } from '../../node/src/cluster/membership.js';
import type { PeerClient } from '../../node/src/cluster/peerClient.js';
import { createLogger } from '../../node/src/log.js';
import { LocalLock } from '../../node/src/locks/localLock.js';
import { RicartAgrawalaLock } from '../../node/src/locks/ricartAgrawala.js';
import { createMetrics } from '../../node/src/metrics.js';

type Message = { name: string; ts: number; from: string; re?: number };

class View extends EventEmitter {
  readonly members = new Set<string>();
  constructor(readonly self: { id: string }) {
    super();
    this.members.add(self.id);
  }
  ids(): string[] {
    return [...this.members];
  }
  url(id: string): string | undefined {
    return this.members.has(id) ? `http://${id}` : undefined;
  }
  see(id: string): void {
    this.members.add(id);
    this.emit('+member', { id, url: `http://${id}` });
  }
}

/** Two nodes, a and b; `down` holds the links that refuse messages ("a>b"). */
function pair(waitMs = 10_000): { a: RicartAgrawalaLock; b: RicartAgrawalaLock; views: Record<'a' | 'b', View>; down: Set<string>; sent: string[] } {
  const views = { a: new View({ id: 'a' }), b: new View({ id: 'b' }) };
  const locks: Record<string, RicartAgrawalaLock> = {};
  const down = new Set<string>();
  const sent: string[] = [];
  const make = (id: 'a' | 'b'): RicartAgrawalaLock => {
    const metrics = createMetrics(id);
    const peers = {
      raMessage: async (to: string, type: 'request' | 'reply', body: Message): Promise<void> => {
        await new Promise((r) => setImmediate(r));
        if (down.has(`${id}>${to}`)) throw new Error(`link ${id}>${to} down`);
        sent.push(`${type} ${id}>${to}`);
        if (type === 'request') locks[to]!.onRequest(body.name, body.ts, body.from);
        else locks[to]!.onReply(body.name, body.ts, body.from, body.re);
      },
    } as unknown as PeerClient;
    const log = createLogger('silent', id);
    return new RicartAgrawalaLock({ membership: views[id] as unknown as Membership, peers, local: new LocalLock(metrics), metrics, log, waitMs });
  };
  locks.a = make('a');
  locks.b = make('b');
  return { a: locks.a, b: locks.b, views, down, sent };
}

const settled = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('Ricart-Agrawala delivery', () => {
  it('a REQUEST from a node b cannot see yet is answered once b sees it (it was dropped, and a waited until 423)', async () => {
    const { a, views, sent } = pair(30_000);
    views.a.see('b'); // a restarted and knows b; b has not seen a's first heartbeat yet
    let entered = false;
    const held = a.acquire('f').then((h) => ((entered = true), h));
    await settled();
    expect(sent).toEqual(['request a>b']);
    expect(entered).toBe(false); // b owes the REPLY: it has no address for a
    views.b.see('a');
    (await held).release();
    expect(entered).toBe(true);
    expect(sent).toEqual(['request a>b', 'reply b>a']);
  });

  it.each([
    ['REQUEST', 'a>b', 'a'],
    ['REPLY', 'b>a', 'b'],
  ] as const)('a %s that did not get through is sent again on the next heartbeat', async (_type, link, sender) => {
    const { a, views, down, sent } = pair(30_000);
    views.a.see('b');
    views.b.see('a');
    down.add(link);
    let entered = false;
    const held = a.acquire('f').then((h) => ((entered = true), h));
    await settled();
    expect(entered).toBe(false);
    down.delete(link);
    views[sender].emit('beat');
    (await held).release();
    expect(sent).toEqual(['request a>b', 'reply b>a']);
  });

  it('a REPLY to an older request does not count for the one waiting now', async () => {
    const { a, views, down } = pair(30_000);
    views.a.see('b');
    views.b.see('a');
    down.add('b>a'); // keep b's real answer away; the test plays b
    let entered = false;
    const held = a.acquire('f').then((h) => ((entered = true), h));
    await settled();
    a.onReply('f', 50, 'b', 0); // answers a request a made long ago (timestamps start at 1)
    await settled();
    expect(entered).toBe(false);
    down.delete('b>a');
    views.b.emit('beat'); // b's owed REPLY, for the request a is making now
    (await held).release();
    expect(entered).toBe(true);
  });
});
