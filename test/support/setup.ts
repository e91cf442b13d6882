import net from 'node:net';

// No test reaches past this machine: a connection to anything but loopback fails loudly,
// so a forgotten SLACK_API_URL or SMTP_URL can never leak a request to the real world.
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const originalConnect = net.Socket.prototype.connect;

function targetHost(args: unknown[]): string | undefined {
  const [first, second] = args;
  if (Array.isArray(first)) return targetHost(first);
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: string; path?: string };
    if (options.path) return undefined; // a Unix socket (the local MariaDB, say)
    return options.host;
  }
  if (typeof first === 'string' && Number.isNaN(Number(first))) return undefined; // a Unix socket path
  return typeof second === 'string' ? second : undefined;
}

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const host = targetHost(args);
  if (host !== undefined && host !== '' && !LOOPBACK.test(host)) {
    throw new Error(`A test tried to connect to ${host}: only loopback addresses are reachable in tests`);
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
