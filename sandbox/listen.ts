/**
 * Opening and closing the sandbox's listening sockets. A port the seed asks for may be held by
 * another process (often a sandbox left running): that is reported as a `PortInUseError` naming
 * the address and what wanted it, so the CLI can say what to do instead of failing obscurely.
 */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The sandbox could not listen where it was told to: the port is taken, or not ours to take. */
export class PortInUseError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    /** What wanted the port and where that was asked for, e.g. `the control plane (seed "listen")`. */
    readonly purpose: string,
    reason: string,
  ) {
    super(`cannot listen on ${host}:${port} for ${purpose}: ${reason}`);
    this.name = 'PortInUseError';
  }
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use by another process',
  EACCES: 'this user may not listen on that port',
  EADDRNOTAVAIL: 'that address is not one of this machine’s',
};

/** Listens on host:port (0: any free port) and resolves with the port actually taken. */
export function listen(server: http.Server, host: string, port: number, purpose: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = err.code ? REASONS[err.code] : undefined;
      reject(reason ? new PortInUseError(host, port, purpose, reason) : err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops a server and drops its open connections; resolves also when it was not listening. */
export function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
