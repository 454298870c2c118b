// Which container engines answer on this machine. Podman needs no daemon: it works when
// `podman info` does. Docker is tested only when a daemon answers `docker version`.
import { run } from "./process.ts";

export type Runtime = "podman" | "docker";

export interface EngineStatus {
  runtime: Runtime;
  ok: boolean;
  /** server version when ok, else the engine's own error */
  detail: string;
}

export async function probe(runtime: Runtime): Promise<EngineStatus> {
  const args = runtime === "podman" ? ["info", "--format", "{{.Version.Version}}"] : ["version", "--format", "{{.Server.Version}} (API {{.Server.APIVersion}})"];
  const ran = await run(runtime, args, { timeoutMs: 20_000 });
  if (ran.code === 0) return { runtime, ok: true, detail: ran.stdout.trim() };
  const why = ran.timedOut ? `\`${runtime} ${args[0]}\` did not answer within 20 s` : (ran.stderr.trim() || ran.stdout.trim() || `\`${runtime} ${args[0]}\` exited ${ran.code}`).split("\n").slice(-3).join(" ");
  return { runtime, ok: false, detail: why };
}
