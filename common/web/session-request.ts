// What the console (edge/console/console-auth.ts) and the dashboard (cloud/dashboard/dashboard-auth.ts)
// read from a request in the same way: the session cookie, and whether the request is the user's
// doing. Only this, for now: the one web kit (issue 15, part C) builds the rest here.
//
// Idle lock (IEC 62443-4-2 CR 2.5): only what the user does counts as activity. A page's own
// background requests send `x-calle-poll: 1`, and a route the page calls by itself is declared
// `activity: false`: both look the session up without refreshing its idle timer, so a screen left
// open still locks (issue 13, finding 7).
import type { FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * false for a route the page calls by itself (the event stream, which a browser reopens on
     * its own and which cannot carry the poll header): it never counts as the user's activity.
     */
    activity?: false;
  }
}

/** Sent by a page's periodic refresh: look the session up without refreshing its idle timer. */
export const POLL_HEADER = 'x-calle-poll';

/** Whether a request is the user's doing (not a page's poll, nor a passive route). */
export function isActivity(request: FastifyRequest): boolean {
  return request.headers[POLL_HEADER] !== '1' && request.routeOptions.config.activity !== false;
}

/** Reads one cookie without a cookie library (RFC 6265 §5.2, only what the console and the dashboard set). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
