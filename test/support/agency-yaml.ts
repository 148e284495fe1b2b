// stageline.yaml sections built from the shared agency, for the integration tests that enforce rules.
import type { GeneratedAgency } from '../../connectors/asana/simulator';

/** `people:` — the agency's creative directors and client reviewers with the roles the approval gates ask for. */
export function agencyPeopleYaml(agency: GeneratedAgency): string {
  const lines = agency.dataset.users
    .filter((u) => u.role === 'creative_director' || u.role === 'client_reviewer')
    .map((u) => `  - { email: ${u.email}, roles: [${u.role === 'creative_director' ? 'creative_director' : 'client'}] }`);
  return `people:\n${lines.join('\n')}`;
}

/**
 * People, and the write-back tests' three rules (client approval before delivery, creative director's
 * sign-off before approved, one revision round) enforced on `enforce` alone, previewed elsewhere; metrics
 * written back everywhere but `noMetrics`.
 */
export function writebackRulesYaml(agency: GeneratedAgency, o: { opsStatusField: string; enforce: string; noMetrics: string }): string {
  return `${agencyPeopleYaml(agency)}
enforcement:
  mode: preview
  ops_status_field: ${o.opsStatusField}
  connections: { ${o.enforce}: enforce }
  metrics: { enabled: true, connections: { ${o.noMetrics}: false } }
rules:
  - id: client-approval-before-delivery
    kind: approval_gate
    before: delivered
    require: { client: [approved, approved_with_changes] }
    action: comment
  - id: cd-signoff-before-approved
    kind: approval_gate
    before: approved
    require: { creative_director: [approved] }
    action: comment
  - id: scope-creep
    kind: revision_cap
    max_rounds: 1
    action: comment
`;
}
