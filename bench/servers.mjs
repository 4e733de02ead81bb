// What the benchmark measures the broker against, in its own process (so neither the load
// generator nor the broker shares its event loop), on loopback. Prints "READY <port>" when listening.
//
//   GET  /auth/:provider   the baseline: a bare fastify route answering a 302 whose Location is as
//                          long as the broker's authorization URL (set by POST /__location), doing
//                          nothing else. On a 2-core machine the load generator shares the CPU with
//                          the server and pays for every byte it parses: a baseline with a shorter
//                          answer would measure autocannon, not the broker.
//   POST /__location       ?length=N: the baseline's Location becomes N characters long.
//   POST /exchange         a reference for the exchange: a bare fastify POST route reading a form
//                          body (@fastify/formbody) and answering a small JSON, doing nothing else.
//   POST /token            the provider the broker's flows finish at: a token response for any
//                          code (the benchmark plays the browser and the provider's callback).
import Fastify from 'fastify';
import formbody from '@fastify/formbody';

let location = 'https://auth.bench.example/authorize';
let issued = 0;
const app = Fastify();
await app.register(formbody);
app.get('/auth/:provider', async (_request, reply) => reply.redirect(location, 302));
app.post('/__location', async (request) => {
  const length = Number(request.query.length);
  location = `https://auth.bench.example/authorize?${'x'.repeat(Math.max(0, length - 37))}`;
  return { length: location.length };
});
app.post('/exchange', async (request) => ({ access_token: `bare-${request.body.code}`, token_type: 'Bearer', expires_in: 3600, scope: 'read', provider: 'bench' }));
app.post('/token', async () => {
  issued += 1;
  return { access_token: `bench-access-${issued}`, token_type: 'Bearer', expires_in: 3600, scope: 'read' };
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
console.log(`READY ${app.server.address().port}`);
