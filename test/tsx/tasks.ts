// A task module in TypeScript that workers can only import through the parent's TypeScript loader.
interface Point {
  x: number;
  y: number;
}

export function norm(point: Point): number {
  return Math.hypot(point.x, point.y);
}

export function loaderFlags(): string[] {
  return process.execArgv;
}
