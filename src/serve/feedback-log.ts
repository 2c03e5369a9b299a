// The feedback log: labelled rows appended as JSON lines to <dir>/feedback-YYYY-MM-DD.jsonl
// (one file per UTC day). append() resolves only after the lines are fsynced, so a row
// acknowledged to a client is on disk. Concurrent appends share one write and one fsync
// (group commit). A crash can leave a torn last line; readers skip it and the writer cuts
// it off before appending to that file again.
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, fsyncSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export function feedbackFileName(date: Date): string {
  return `feedback-${date.toISOString().slice(0, 10)}.jsonl`;
}

interface Waiting {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class FeedbackLog {
  private pending: string[] = [];
  private waiting: Waiting[] = [];
  private writing = false;
  private handle: FileHandle | null = null;
  private handleFile = '';

  constructor(
    readonly dir: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** Appends one JSON line per entry; resolves once they are durable. */
  append(entries: readonly unknown[]): Promise<void> {
    const text = entries.map((e) => JSON.stringify(e) + '\n').join('');
    return new Promise((resolve, reject) => {
      this.pending.push(text);
      this.waiting.push({ resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** The file today's rows go to. */
  currentFile(): string {
    return join(this.dir, feedbackFileName(this.now()));
  }

  async close(): Promise<void> {
    while (this.writing) await new Promise((r) => setTimeout(r, 1));
    await this.handle?.close();
    this.handle = null;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    while (this.pending.length) {
      const text = this.pending.join('');
      const waiting = this.waiting;
      this.pending = [];
      this.waiting = [];
      try {
        const fh = await this.fileFor(this.currentFile());
        // One write call per group: lines never interleave with another group's.
        const buf = Buffer.from(text);
        let off = 0;
        while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
        await fh.datasync();
        for (const w of waiting) w.resolve();
      } catch (e) {
        for (const w of waiting) w.reject(e);
      }
    }
    this.writing = false;
  }

  private async fileFor(path: string): Promise<FileHandle> {
    if (this.handle && this.handleFile === path) return this.handle;
    await this.handle?.close();
    this.handle = null;
    const created = !existsSync(path);
    if (!created) cutTornTail(path);
    this.handle = await open(path, 'a');
    this.handleFile = path;
    if (created) {
      // Make the new file's directory entry durable too.
      const d = openSync(this.dir, 'r');
      try {
        fsyncSync(d);
      } finally {
        closeSync(d);
      }
    }
    return this.handle;
  }
}

/** Cuts a file back to its last newline (a line a crash left half-written). */
export function cutTornTail(path: string): number {
  const fd = openSync(path, 'r+');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return 0;
    const chunk = Buffer.alloc(Math.min(size, 1 << 16));
    let end = size;
    // Scan back for the last '\n'; a line longer than the chunk is read in steps.
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const n = readSync(fd, chunk, 0, end - start, start);
      const at = chunk.subarray(0, n).lastIndexOf(10);
      if (at >= 0) {
        const keep = start + at + 1;
        if (keep < size) {
          ftruncateSync(fd, keep);
          fsyncSync(fd);
        }
        return size - keep;
      }
      end = start;
    }
    ftruncateSync(fd, 0);
    fsyncSync(fd);
    return size;
  } finally {
    closeSync(fd);
  }
}
