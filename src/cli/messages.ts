export function formatDiagnosticsHeader(count: number): string {
  return `policy: ${count} problem${count === 1 ? '' : 's'} in the policy or its rules:`;
}
