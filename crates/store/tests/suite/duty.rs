//! The duty roster.

use super::*;

/// A week of three shifts a day, one shift cut short by two hours: the gap check reports exactly that hole;
/// swaps and handovers are scoped and audited; unit B sees none of A's roster.
pub async fn duty_roster_week_with_a_hole(store: &Store) {
    use canhgac_model::roster::{local_midnight, parse_local_datetime, parse_slots, Gap};
    let w = world(store).await;
    let mut officers = Vec::new();
    for name in ["an.a", "binh.a", "chi.a"] {
        let u = NewUser {
            unit_id: w.a.0,
            username: name.into(),
            display_name: name.into(),
            role: "duty_officer".into(),
            password: "a long enough password".into(),
            ..Default::default()
        };
        officers.push(store.create_user(&w.a_admin, &u).await.unwrap().0);
    }
    let ids: Vec<_> = officers.iter().map(|u| u.id).collect();
    // Tet week 2024: Friday 9 February to Friday 16 February, local time.
    let first = local_midnight("2024-02-09").unwrap();
    let slots = parse_slots("slots", "07:00-15:00, 15:00-23:00, 23:00-07:00").unwrap();
    let week = (first + 7 * 3_600_000, first + 7 * 86_400_000 + 7 * 3_600_000);
    let n = store
        .add_pattern(&w.a_admin, w.a, first, 7, &slots, &ids)
        .await
        .unwrap();
    assert_eq!(n, 21);
    assert!(store
        .coverage_gaps(&w.a_admin, w.a, week.0, week.1)
        .await
        .unwrap()
        .is_empty());
    // Cut the Tet-eve night shift: it now ends at 05:00 instead of 07:00 on 10 February.
    let night = parse_local_datetime("2024-02-09T23:00").unwrap();
    let shifts = store.shifts(&w.a_admin, w.a, night, night + 1).await.unwrap();
    let cut = shifts
        .iter()
        .find(|s| s.starts_at == night)
        .expect("the night shift")
        .clone();
    store.delete_shift(&w.a_admin, cut.id).await.unwrap();
    let short_end = parse_local_datetime("2024-02-10T05:00").unwrap();
    store
        .add_shift(&w.a_admin, w.a, cut.user_id, Some(night), Some(short_end))
        .await
        .unwrap();
    let gaps = store
        .coverage_gaps(&w.a_admin, w.a, week.0, week.1)
        .await
        .unwrap();
    assert_eq!(
        gaps,
        [Gap {
            start: short_end,
            end: parse_local_datetime("2024-02-10T07:00").unwrap()
        }],
        "exactly the two-hour hole"
    );
    // Who is on duty at 10:00 on the 12th: one officer of A; nobody for B.
    let t = parse_local_datetime("2024-02-12T10:00").unwrap();
    let now = store.on_duty(&w.a_admin, t).await.unwrap();
    assert_eq!(now.len(), 1);
    assert!(store.on_duty(&w.b_admin, t).await.unwrap().is_empty());
    assert_eq!(
        store.on_duty(&w.admin, t).await.unwrap().len(),
        1,
        "the Department sees every unit"
    );
    // The officer on duty hands the shift to a colleague and writes a handover note; a stranger cannot.
    let on = &now[0];
    let officer = Actor {
        user_id: on.user_id,
        unit_id: w.a,
        role: Role::DutyOfficer,
    };
    let other = ids.iter().copied().find(|u| *u != on.user_id).unwrap();
    let swapped = store.swap_shift(&officer, on.id, other).await.unwrap();
    assert_eq!(swapped.user_id, other);
    assert!(matches!(
        store.swap_shift(&officer, on.id, on.user_id).await,
        Err(StoreError::Forbidden)
    ));
    let noted = store
        .hand_over(&w.a_admin, on.id, "Cảnh báo #12 còn mở")
        .await
        .unwrap();
    assert_eq!(noted.handover, "Cảnh báo #12 còn mở");
    assert!(matches!(
        store.shift(&w.b_admin, on.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.hand_over(&w.b_admin, on.id, "x").await,
        Err(StoreError::NotFound)
    ));
    assert!(store.shifts(&w.b_admin, w.a, week.0, week.1).await.is_err());
    // Staff (training only) and people of another unit cannot stand duty in A.
    let b_person = store.users(&w.admin, Some(w.b)).await.unwrap()[0].id;
    assert!(matches!(
        store
            .add_shift(&w.a_admin, w.a, b_person, Some(night), Some(short_end))
            .await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store
            .add_shift(&w.a_admin, w.a, ids[0], Some(short_end), Some(night))
            .await,
        Err(StoreError::Invalid(_))
    ));
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "duty_shift".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(audit.items.iter().any(|e| e.action == "swap"));
    assert!(audit.items.iter().any(|e| e.action == "handover"));
}
