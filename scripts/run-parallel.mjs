// Runs shell commands side by side and fails when any fails. Each command's output is printed whole once it ends,
// so outputs never interleave; a summary of every command's result and time closes the run.
//
//   node scripts/run-parallel.mjs "<command>" ... [--low "<command>" ...]
//
// Commands after --low run at a lower CPU priority (nice 10, where there is nice): work that only has to be done
// by the end (type check, lint) then takes the CPU the tests leave, instead of slowing the tests' waits down.
// An interrupt or termination is passed on to every command with all it started, so nothing is left running.
import { spawn } from 'node:child_process';

const commands = [];
let low = false;
for (const arg of process.argv.slice(2)) {
  if (arg === '--low') low = true;
  else commands.push({ command: arg, low });
}
if (commands.length === 0) {
  console.error('usage: node scripts/run-parallel.mjs "<command>" ... [--low "<command>" ...]');
  process.exit(2);
}

const started = Date.now();
const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
const posix = process.platform !== 'win32';
const running = new Set();

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    for (const child of running) {
      try {
        // Each command leads its own process group (detached): signal the whole group.
        process.kill(posix ? -child.pid : child.pid, signal);
      } catch {
        // already gone
      }
    }
  });
}

const results = await Promise.all(
  commands.map(
    ({ command, low }) =>
      new Promise((resolve) => {
        const quoted = `'${command.replace(/'/g, `'\\''`)}'`;
        const line = low && posix ? `nice -n 10 sh -c ${quoted}` : command;
        const child = spawn(line, { shell: true, stdio: ['ignore', 'pipe', 'pipe'], detached: posix });
        running.add(child);
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('close', (code, signal) => {
          running.delete(child);
          const ok = code === 0;
          const result = `${command}: ${ok ? 'ok' : `failed (${signal ?? code})`} after ${seconds()} s`;
          process.stdout.write(`\n> ${result}\n`);
          if (output.trim()) process.stdout.write(`${output.trimEnd()}\n`);
          resolve({ ok, result });
        });
      }),
  ),
);
process.stdout.write(`\n${results.map(({ result }) => `> ${result}`).join('\n')}\n`);
process.exit(results.every(({ ok }) => ok) ? 0 : 1);
