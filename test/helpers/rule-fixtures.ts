// Rule fixtures shared by the CLI tests.

/** A project rule with an option, as a user would write one. */
export const ZERO_MAJOR_RULE = (id: string): string => `id: ${id}
title: Packages are past 0.x
spec: "Project rule: our users need a stable API."
severity: error
gates: [ci]
facts: [packages]
options:
  type: object
  properties:
    allowed: { type: array, items: { type: string }, default: [] }
checks:
  - for: packages.filter(p, !(p.name in options.allowed))
    expression: '!it.version.startsWith("0.")'
    message: "{{it.name}} is still {{it.version}}"
    subject: { kind: package, name: "{{it.name}}" }
docs:
  why: Stability.
  fix: Release 1.0.0.
`;

/** Its test table: a passing, a failing and an option case. */
export const ZERO_MAJOR_TABLE = (id: string): string => `rule: ${id}
cases:
  - name: one point oh passes
    facts: { packages: [{ name: demo, version: 1.0.0 }] }
    expect: []
  - name: zero fails
    facts: { packages: [{ name: demo, version: 0.3.0 }] }
    expect: [{ subject: demo, message: "still 0.3.0" }]
  - name: allowed passes
    options: { allowed: [demo] }
    facts: { packages: [{ name: demo, version: 0.3.0 }] }
    expect: []
`;
