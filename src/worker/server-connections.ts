/**
 * The connections of the worker's HTTP server, with the requests each has in flight, so that a
 * stop does not wait on a client that went away. Node's `server.close()` closes idle keep-alive
 * connections but not one that never carried a request (undici leaves such a connection behind
 * when a request is aborted mid-body: it reconnects for the aborted request, then drops it —
 * nodejs/undici#5845), so the server would wait for its headers timeout; and a client that stopped
 * sending a request body holds its connection open for as long as it likes.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export class ServerConnections {
  /** Requests in flight per open connection. */
  private readonly inFlight = new Map<Socket, number>();
  private stopping = false;

  constructor(server: Server) {
    server.on('connection', (socket: Socket) => {
      if (this.stopping) {
        socket.destroy();
        return;
      }
      this.inFlight.set(socket, 0);
      socket.once('close', () => this.inFlight.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      this.inFlight.set(socket, (this.inFlight.get(socket) ?? 0) + 1);
      response.once('close', () => {
        const left = (this.inFlight.get(socket) ?? 1) - 1;
        if (!this.inFlight.has(socket)) return;
        this.inFlight.set(socket, left);
        if (this.stopping && left === 0) socket.destroy();
      });
    });
  }

  /** Open connections, and how many of them carry a request in flight. */
  get counts(): { open: number; busy: number } {
    let busy = 0;
    for (const n of this.inFlight.values()) if (n > 0) busy++;
    return { open: this.inFlight.size, busy };
  }

  /**
   * From now on a connection is closed as soon as it carries no request: those idle now (even
   * one that never sent a request) at once, the others when their last response is done.
   */
  closeWhenIdle(): void {
    this.stopping = true;
    for (const [socket, n] of this.inFlight) if (n === 0) socket.destroy();
  }

  /** Closes every connection, requests in flight or not (a stop's grace period is over). */
  closeAll(): void {
    this.stopping = true;
    for (const socket of this.inFlight.keys()) socket.destroy();
  }
}
