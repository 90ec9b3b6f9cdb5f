// The demos run until Ctrl-C, SIGTERM, or an optional time limit.
export function untilStopped(seconds = 0): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    if (seconds > 0) setTimeout(done, seconds * 1000).unref();
  });
}
