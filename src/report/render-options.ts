import type { RuleDefinition, Verdict } from '../engine/model.js';

export interface RenderOptions {
  /** ANSI colour in the text format; the CLI decides (TTY, `NO_COLOR`), never the renderer. */
  color: boolean;
  /** The rule catalogue: SARIF rule metadata and docs come from it. */
  rules: RuleDefinition[];
  toolVersion: string;
  /** What ran, e.g. `policy audit`; defaults to `gate <name>`. */
  title?: string;
  /** SARIF `tool.driver.informationUri`; defaults to the package's npm page. */
  informationUri?: string;
  /** SARIF `helpUri` of a rule, when the caller knows where its docs live; else a built-in rule's README section. */
  ruleHelpUri?: (ruleId: string) => string | undefined;
  /**
   * Repository-relative path of the policy file. GitHub code scanning shows only results with
   * a physical location, so SARIF results of findings about no file (a tag, a commit) point at
   * the file that enabled the rule when the caller names it; located findings use their own.
   */
  policyFile?: string;
}

export type Renderer = (verdict: Verdict, options: RenderOptions) => string;
