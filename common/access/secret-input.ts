// How `calle user` (edge/users/user-command.ts) and `calle dashboard user`
// (bin/dashboard-user-command.ts) talk to the person at the terminal: lines out, and a password
// read from standard input, never from the command line (`ps` and the shell history keep that).
export interface UserCommandIo {
  out(line: string): void;
  err(line: string): void;
  /** One line of secret input; the terminal does not echo it. */
  readSecret(prompt: string): Promise<string>;
}

async function readLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

/** Reads a password: without echo at a terminal, the first line of standard input otherwise. */
export async function readHidden(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) return readLine();
  process.stderr.write(prompt);
  process.stdin.setRawMode(true);
  let line = '';
  try {
    for await (const chunk of process.stdin) {
      for (const ch of (chunk as Buffer).toString('utf8')) {
        if (ch === '\r' || ch === '\n') return line;
        if (ch === '\u0003') throw new Error('cancelled');
        if (ch === '\u007f') line = line.slice(0, -1);
        else line += ch;
      }
    }
    return line;
  } finally {
    process.stdin.setRawMode(false);
    process.stdin.pause();
    process.stderr.write('\n');
  }
}
