//! Firewall verdicts per day for the Posture page (Member+; counts only, no arguments).

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::auth::roles::Capability;
use crate::service::identity::Principal;
use crate::service::{ServiceResult, Services};
use crate::store::{self, verdict_stats::DayCounts};

impl Services {
    /// Verdict counts per UTC day over the last `days` days, oldest first.
    pub async fn verdicts_by_day(&self, principal: &Principal, days: i64, now: DateTime<Utc>) -> ServiceResult<Vec<(NaiveDate, DayCounts)>> {
        principal.require(Capability::ReadWorkspace)?;
        let since = (now - Duration::days(days.clamp(1, 180) - 1)).date_naive().and_hms_opt(0, 0, 0).map(|at| at.and_utc()).unwrap_or(now);
        Ok(store::verdict_stats::per_day(&self.db, principal.workspace_id, since, now).await?)
    }
}
