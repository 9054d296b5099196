// Bluesky's own reference stack (PLC directory, PDS, App View, with the Ozone
// and bsync services the App View needs) from @atproto/dev-env, on loopback,
// for the hub's tests. Started and stopped by scripts/services/atproto.sh.
//
// Python tests cannot reach into the stack the way dev-env's own tests do, so
// a small control endpoint (ATPROTO_CONTROL_PORT) offers the two things they need:
//   GET  /               -> {"plc", "pds", "appview"} URLs once the stack is up
//   POST /accounts       {"name": "alice"} -> {"did", "handle", "password", "email"}
//   POST /process-all    -> 204 once the App View has indexed everything written so far
import http from 'node:http'
import net from 'node:net'
import { randomBytes } from 'node:crypto'

// dev-env's servers listen on every interface; keep them all on loopback.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1')
  } else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].host) {
    args[0] = { ...args[0], host: '127.0.0.1' }
  }
  return listen.apply(this, args)
}

const { TestNetwork } = await import('@atproto/dev-env')

const env = (name) => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set (scripts/services/atproto.sh sets it)`)
  return value
}
const port = (name) => Number.parseInt(env(name), 10)

const network = await TestNetwork.create({
  dbPostgresUrl: env('ATPROTO_DB_URL'),
  dbPostgresSchema: env('ATPROTO_DB_SCHEMA'),
  plc: { port: port('ATPROTO_PLC_PORT') },
  pds: {
    port: port('ATPROTO_PDS_PORT'),
    hostname: 'localhost',
    // As on bsky.social: createSession answers with the account's DID document.
    enableDidDocWithSession: true,
  },
  bsky: {
    port: port('ATPROTO_APPVIEW_PORT'),
    publicUrl: `http://localhost:${port('ATPROTO_APPVIEW_PORT')}`,
  },
  ozone: { port: port('ATPROTO_OZONE_PORT') },
})

const urls = { plc: network.plc.url, pds: network.pds.url, appview: network.bsky.url }
const accounts = network.getSeedClient()

const readJson = async (request) => {
  let body = ''
  for await (const chunk of request) body += chunk
  return body ? JSON.parse(body) : {}
}

const createAccount = async ({ name }) => {
  // Handles must be unique for the life of the stack: every test gets a fresh one.
  const base = String(name || 'user').toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 12) || 'user'
  const handle = `${base}-${randomBytes(3).toString('hex')}.test`
  const password = randomBytes(12).toString('hex')
  const email = `${handle}@example.invalid`
  const account = await accounts.createAccount(handle, { handle, email, password })
  return { did: account.did, handle: account.handle, password, email }
}

const control = http.createServer(async (request, response) => {
  const send = (status, body) => {
    response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' })
    response.end(body === undefined ? undefined : JSON.stringify(body))
  }
  try {
    if (request.method === 'GET' && request.url === '/') return send(200, urls)
    if (request.method === 'POST' && request.url === '/accounts') {
      return send(201, await createAccount(await readJson(request)))
    }
    if (request.method === 'POST' && request.url === '/process-all') {
      await network.processAll()
      return send(204)
    }
    return send(404, { error: 'NotFound', message: `${request.method} ${request.url}` })
  } catch (error) {
    console.error(error)
    return send(500, { error: 'InternalServerError', message: String(error?.message ?? error) })
  }
})
control.listen(port('ATPROTO_CONTROL_PORT'), '127.0.0.1')

let closing = false
const shutdown = async () => {
  if (closing) return
  closing = true
  control.close()
  try {
    await network.close()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)

console.log(`reference Bluesky stack up: ${JSON.stringify(urls)} control http://127.0.0.1:${port('ATPROTO_CONTROL_PORT')}`)
