//! The permission matrix of SPEC §8.1 in one place. Every service call that reads or changes workspace
//! data names the [`Capability`] it needs; the console hides what this table refuses, but only this
//! table decides.

use crate::domain::Role;

/// Something a caller may try to do in a workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Read posture, settings, policies, guardrails, matches, audit, the key and member lists.
    ReadWorkspace,
    /// Read events, runs, traces, approvals and raw matched text (they carry tool-call arguments).
    ReadSensitiveFeeds,
    /// Create, edit, disable, rotate and delete relay keys.
    ManageRelayKeys,
    /// Create, edit, rotate and delete gateway keys; grant `mcp_credentials`.
    ManageGatewayKeys,
    /// Edit guardrails, policies, autonomy, posture settings, approvals, MCP servers.
    EditPosture,
    /// Mark false positives, delete suppressions.
    ManageSuppressions,
    /// Providers, workspace name, retention, judge model.
    ManageWorkspace,
    /// Add, remove and re-role Members and Developers.
    ManageMembers,
    /// Add, remove and promote Admins and Owners.
    ManageAdmins,
    /// Delete the workspace; create another one.
    OwnWorkspace,
}

impl Capability {
    /// The lowest role holding this capability.
    pub fn min_role(self) -> Role {
        match self {
            Capability::ReadWorkspace => Role::Member,
            Capability::ReadSensitiveFeeds
            | Capability::ManageRelayKeys
            | Capability::EditPosture => Role::Developer,
            Capability::ManageGatewayKeys
            | Capability::ManageSuppressions
            | Capability::ManageWorkspace
            | Capability::ManageMembers => Role::Admin,
            Capability::ManageAdmins | Capability::OwnWorkspace => Role::Owner,
        }
    }
}

/// True when `role` holds `capability`.
pub fn allows(role: Role, capability: Capability) -> bool {
    role >= capability.min_role()
}

/// The capability needed to grant or take away `role` (Admins and Owners need an Owner).
pub fn capability_to_assign(role: Role) -> Capability {
    if role >= Role::Admin {
        Capability::ManageAdmins
    } else {
        Capability::ManageMembers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_matches_spec_8_1() {
        let expected: &[(Capability, [bool; 4])] = &[
            (Capability::ReadWorkspace, [true, true, true, true]),
            (Capability::ReadSensitiveFeeds, [false, true, true, true]),
            (Capability::ManageRelayKeys, [false, true, true, true]),
            (Capability::ManageGatewayKeys, [false, false, true, true]),
            (Capability::EditPosture, [false, true, true, true]),
            (Capability::ManageSuppressions, [false, false, true, true]),
            (Capability::ManageWorkspace, [false, false, true, true]),
            (Capability::ManageMembers, [false, false, true, true]),
            (Capability::ManageAdmins, [false, false, false, true]),
            (Capability::OwnWorkspace, [false, false, false, true]),
        ];
        for (capability, by_role) in expected {
            for (role, allowed) in Role::ALL.iter().zip(by_role) {
                assert_eq!(allows(*role, *capability), *allowed, "{role:?} {capability:?}");
            }
        }
        assert_eq!(capability_to_assign(Role::Developer), Capability::ManageMembers);
        assert_eq!(capability_to_assign(Role::Owner), Capability::ManageAdmins);
    }
}
