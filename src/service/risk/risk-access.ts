import type { AccessDeclaration } from '../../core/auth/permissions';

/** The suspicious-order domain's permission and its reviewers' role (who also read the events a verdict opens). */
export const riskAccess: AccessDeclaration = {
  permissions: { 'risk.review': 'Read suspicious orders and give verdicts.' },
  roles: { risk_reviewer: ['risk.review', 'cs_event.read'] },
};
