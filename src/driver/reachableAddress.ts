import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';

/** 0.0.0.0 and :: accept connections on every address, but name none another host could use. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/**
 * This host's own address on the route to a peer ("host:port" or "[v6]:port"): the source address
 * the kernel picks for it, found by connecting a UDP socket (which sends nothing). Falls back to the
 * first non-loopback interface address when there is no route.
 */
export async function addressOnRouteTo(peer: string): Promise<string> {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(peer);
  if (!match) return firstInterfaceAddress();
  try {
    const { address, family } = await lookup(match[1]!);
    return await sourceAddress(address, family === 6 ? 'udp6' : 'udp4', Number(match[2]));
  } catch {
    return firstInterfaceAddress();
  }
}

function sourceAddress(peerAddress: string, type: 'udp4' | 'udp6', port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(type);
    socket.once('error', (error) => {
      socket.close();
      reject(error);
    });
    socket.connect(port, peerAddress, () => {
      const { address } = socket.address();
      socket.close();
      resolve(address);
    });
  });
}

function firstInterfaceAddress(): string {
  const candidates = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const external = candidates.find((info) => !info.internal && info.family === 'IPv4') ?? candidates.find((info) => !info.internal);
  return external?.address ?? '127.0.0.1';
}
