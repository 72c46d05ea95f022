import os from 'node:os';

export interface Machine {
  cpus: number;
  model: string;
  memory_gib: number;
  node: string;
  os: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    memory_gib: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

export function machineLine(m: Machine): string {
  return `machine: ${m.cpus} CPU × ${m.model}, ${m.memory_gib} GiB RAM, Node ${m.node}, ${m.os}`;
}
