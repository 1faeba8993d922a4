//! Escalation contacts: seeded with the national contacts named in the Department's letter, editable by the
//! Department, shown to every unit.

use canhgac_model::{Actor, Contact, ContactId, ContactInput, Permission};
use sqlx::any::AnyRow;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, Result, Store, StoreError, WriteTx};

/// The contacts of the letter (Department of Health of Dong Thap, January 2024). Data, not code paths: the
/// Department edits them when authorities reorganise.
const SEED: &[(&str, &str, &str, &str, &str)] = &[
    (
        "VNCERT/CC",
        "Trung tâm Ứng cứu khẩn cấp không gian mạng Việt Nam (Cục An toàn thông tin)",
        "024.3640.4421",
        "086.9100.317",
        "ir@vncert.vn",
    ),
    (
        "NCSC",
        "Trung tâm Giám sát an toàn không gian mạng quốc gia — cảnh báo sớm",
        "02432091616",
        "0389942878",
        "ais@mic.gov.vn",
    ),
    (
        "Phòng Hạ tầng và An toàn thông tin",
        "Trung tâm Chuyển đổi số tỉnh Đồng Tháp (Sở Thông tin và Truyền thông)",
        "0277.3856113",
        "",
        "",
    ),
];

pub(crate) async fn seed(w: &mut WriteTx<'_>) -> Result<()> {
    for (i, (name, role, phone, hotline, email)) in SEED.iter().enumerate() {
        sqlx::query("INSERT INTO contacts (name, role, phone, hotline, email, position) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(*name)
            .bind(*role)
            .bind(*phone)
            .bind(*hotline)
            .bind(*email)
            .bind(i as i64 + 1)
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(())
}

fn row_to_contact(r: &AnyRow) -> Result<Contact> {
    Ok(Contact {
        id: ContactId(get_i64(r, "id")?),
        name: get_str(r, "name")?,
        role: get_str(r, "role")?,
        phone: get_str(r, "phone")?,
        hotline: get_str(r, "hotline")?,
        email: get_str(r, "email")?,
        notes: get_str(r, "notes")?,
        position: get_i64(r, "position")?,
    })
}

impl Store {
    /// Every contact, in display order (public to every signed-in user).
    pub async fn contacts(&self) -> Result<Vec<Contact>> {
        let rows = sqlx::query("SELECT * FROM contacts ORDER BY position, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row_to_contact).collect()
    }

    /// One contact.
    pub async fn contact(&self, id: ContactId) -> Result<Contact> {
        row_to_contact(
            &sqlx::query("SELECT * FROM contacts WHERE id = $1")
                .bind(id.0)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Creates (`id` = `None`) or edits a contact (Department administrators).
    pub async fn save_contact(
        &self,
        actor: &Actor,
        id: Option<ContactId>,
        input: &ContactInput,
    ) -> Result<Contact> {
        if !actor.allows(Permission::AdministerDepartment, actor.unit_id) {
            return Err(StoreError::Forbidden);
        }
        let v = input.validate()?;
        let before = match id {
            Some(id) => Some(self.contact(id).await?),
            None => None,
        };
        let mut w = self.begin_write().await?;
        let sql = if id.is_some() {
            "UPDATE contacts SET name = $1, role = $2, phone = $3, hotline = $4, email = $5, notes = $6, position = $7 \
             WHERE id = $8 RETURNING *"
        } else {
            "INSERT INTO contacts (name, role, phone, hotline, email, notes, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *"
        };
        let mut q = sqlx::query(sql)
            .bind(v.name)
            .bind(v.role)
            .bind(v.phone)
            .bind(v.hotline)
            .bind(v.email)
            .bind(v.notes)
            .bind(v.position);
        if let Some(id) = id {
            q = q.bind(id.0);
        }
        let contact = row_to_contact(&q.fetch_one(&mut *w.tx).await?)?;
        let mut change = Change::new(
            if id.is_some() { "update" } else { "create" },
            "contact",
            contact.id.to_string(),
        )
        .after(&contact);
        if let Some(b) = &before {
            change = change.before(b);
        }
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(contact)
    }

    /// Deletes a contact (Department administrators).
    pub async fn delete_contact(&self, actor: &Actor, id: ContactId) -> Result<()> {
        if !actor.allows(Permission::AdministerDepartment, actor.unit_id) {
            return Err(StoreError::Forbidden);
        }
        let before = self.contact(id).await?;
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM contacts WHERE id = $1")
            .bind(id.0)
            .execute(&mut *w.tx)
            .await?;
        append(
            &mut w,
            Some(actor),
            Change::new("delete", "contact", id.to_string()).before(&before),
        )
        .await?;
        w.commit().await
    }
}
