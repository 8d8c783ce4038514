// ws-documents.mjs - a third-party client of the CFOST server's document API on WebSocket /ws
// (docs/SERVER.md, "Documents over /ws"), written against the messages only, with npm's `ws`.
// cfost-server's ThirdPartyClientsIT runs it and asserts on what it printed.
//
//   node ws-documents.mjs --url ws://HOST:PORT/ws --user USER_ID --token ACCESS_TOKEN
//     Authenticates two connections A and B as the user; A creates the document "node-doc"
//     ({"text":"Hello"}), then updates /text to "Updated by node", and B must see both pushed; B undoes
//     the update (A sees the push); A sends a patch that cannot apply (removing /missing) and must get
//     an error; A reads the document back, unchanged by the refused patch.
//
// Output: one JSON object per line on stdout.
//   {"client":"ws-documents","conn":"a"|"b","dir":"in"|"out","raw":TEXT}   every frame, as on the wire
//   {"done":true}                                                            the run succeeded (exit 0)
//   {"error":TEXT}                                                           it failed (exit 1)
// Nothing is retried: a missing or unexpected reply ends the run with {"error"}.
import WebSocket from 'ws';

const WAIT_MS = 10000;

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) {
      throw new Error(`expected --name value pairs, got '${argv[i]}'`);
    }
    out[argv[i].slice(2)] = argv[i + 1];
  }
  for (const needed of ['url', 'user', 'token']) {
    if (!out[needed]) throw new Error(`--${needed} is required`);
  }
  return out;
}

function print(o) {
  process.stdout.write(JSON.stringify(o) + '\n');
}

/** One connection: sends and prints frames, and hands out received messages in order. */
function connect(url, name) {
  const ws = new WebSocket(url);
  const inbox = [];
  const waiting = [];
  ws.on('message', (data, isBinary) => {
    const raw = data.toString('utf8');
    print({ client: 'ws-documents', conn: name, dir: 'in', raw });
    if (isBinary) return;
    const m = JSON.parse(raw);
    if (waiting.length) waiting.shift()(m); else inbox.push(m);
  });
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    opened,
    send(message) {
      const raw = JSON.stringify(message);
      print({ client: 'ws-documents', conn: name, dir: 'out', raw });
      ws.send(raw);
    },
    next(what) {
      if (inbox.length) return Promise.resolve(inbox.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
        waiting.push((m) => { clearTimeout(timer); resolve(m); });
      });
    },
  };
}

function expect(m, type, what) {
  if (m.type !== type) throw new Error(`${what}: expected '${type}', got ${JSON.stringify(m)}`);
  return m;
}

async function main() {
  const o = args(process.argv.slice(2));
  const a = connect(o.url, 'a');
  const b = connect(o.url, 'b');
  await Promise.all([a.opened, b.opened]);
  for (const c of [a, b]) {
    c.send({ type: 'authenticate', user_id: o.user, auth_token: o.token });
    expect(await c.next('authenticated'), 'authenticated', 'authenticate');
  }

  a.send({ type: 'create_document', document: { id: 'node-doc', title: 'From Node', content: { text: 'Hello' } } });
  expect(await a.next('document_created'), 'document_created', 'create');
  expect(await b.next('pushed create'), 'document_created', 'push of the create');

  a.send({ type: 'update_document', patch: { document_id: 'node-doc',
    patch: [{ op: 'replace', path: '/text', value: 'Updated by node' }] } });
  expect(await a.next('document_updated'), 'document_updated', 'update');
  const pushed = expect(await b.next('pushed update'), 'document_updated', 'push of the update');
  if (pushed.document.content.text !== 'Updated by node') throw new Error('push holds ' + JSON.stringify(pushed));

  b.send({ type: 'undo', document_id: 'node-doc' });
  expect(await b.next('undo reply'), 'document_updated', 'undo');
  expect(await a.next('pushed undo'), 'document_updated', 'push of the undo');

  a.send({ type: 'update_document', patch: { document_id: 'node-doc',
    patch: [{ op: 'replace', path: '/text', value: 'half' }, { op: 'remove', path: '/missing' }] } });
  expect(await a.next('error'), 'error', 'a patch that cannot apply');

  a.send({ type: 'get_document', document_id: 'node-doc' });
  expect(await a.next('document'), 'document', 'get');

  a.ws.close();
  b.ws.close();
  print({ done: true });
}

main().then(() => process.exit(0), (e) => {
  print({ error: String(e && e.message ? e.message : e) });
  process.exit(1);
});
