/**
 * Watching mounted files for replacement. Kubernetes updates ConfigMap and Secret volumes by
 * writing a new timestamped directory and renaming the `..data` symlink over the old one, so the
 * watched file's inode never changes in place: watch the parent directory (every event there), and
 * debounce the burst. A slow poll backs fs.watch up (events can be lost, e.g. on some overlay or
 * network filesystems); the callback must be idempotent (the callers compare contents).
 */
import { watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface FileWatcherOptions {
  debounceMs?: number;
  /** 0 disables polling. */
  pollMs?: number;
  onError?: (err: Error) => void;
}

export class FileWatcher {
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    files: readonly string[],
    private readonly onChange: () => void,
    private readonly options: FileWatcherOptions = {},
  ) {
    const dirs = [...new Set(files.map((f) => dirname(resolve(f))))];
    for (const dir of dirs) {
      try {
        const w = watch(dir, { persistent: false }, () => this.schedule());
        w.on('error', (err) => this.options.onError?.(err));
        this.watchers.push(w);
      } catch (err) {
        this.options.onError?.(err as Error);
      }
    }
    const pollMs = options.pollMs ?? 30_000;
    if (pollMs > 0) {
      this.poller = setInterval(() => this.onChange(), pollMs);
      this.poller.unref();
    }
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) this.onChange();
    }, this.options.debounceMs ?? 250);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.poller !== undefined) clearInterval(this.poller);
    for (const w of this.watchers) w.close();
  }
}
