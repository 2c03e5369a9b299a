// A Python worker process spoken to in lines, for the side-by-side benches (bench:numpy,
// bench:torch): it prints "ready <version>" (anything else when its library is missing),
// then answers each request line with one line.
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';

export interface PythonWorker {
  /** The library's version, from the ready line. */
  version: string;
  ask(line: string): Promise<string>;
  close(): void;
}

/** Starts `script` under `python`; null when it does not start or does not say it is ready. */
export async function startPythonWorker(python: string, script: string, env: NodeJS.ProcessEnv): Promise<PythonWorker | null> {
  const proc = spawn(python, [script], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout });
  const pending: ((line: string | null) => void)[] = [];
  let gone = false;
  const end = () => {
    gone = true;
    while (pending.length) pending.shift()!(null);
  };
  lines.on('line', (line) => pending.shift()?.(line));
  proc.on('exit', end);
  proc.on('error', end); // no such interpreter
  const nextLine = () => new Promise<string | null>((resolve) => (gone ? resolve(null) : pending.push(resolve)));
  const ready = await nextLine();
  if (!ready?.startsWith('ready')) {
    proc.stdin.end();
    return null;
  }
  return {
    version: ready.split(' ')[1],
    async ask(line: string): Promise<string> {
      proc.stdin.write(`${line}\n`);
      const answer = await nextLine();
      if (answer === null) throw new Error(`${basename(script)} failed on '${line}'`);
      return answer;
    },
    close: () => proc.stdin.end(),
  };
}
