//! Small builders shared by the migrations, so each table reads as a list of its columns.
//!
//! Every id is a 64-bit integer on both backends (SPEC `int` = i64); timestamps carry a time zone and are
//! always written in UTC; JSON columns are `jsonb` on PostgreSQL and text on SQLite.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema;

/// Shorthand for a column or table identifier.
pub fn id(name: &str) -> Alias {
    Alias::new(name)
}

/// An auto-incremented 64-bit primary key called `id`.
pub fn pk() -> ColumnDef {
    schema::big_pk_auto(id("id"))
}

pub fn ts(name: &str) -> ColumnDef {
    schema::timestamp_with_time_zone(id(name))
}

pub fn ts_null(name: &str) -> ColumnDef {
    schema::timestamp_with_time_zone_null(id(name))
}

pub fn text(name: &str) -> ColumnDef {
    schema::text(id(name))
}

pub fn text_null(name: &str) -> ColumnDef {
    schema::text_null(id(name))
}

pub fn int(name: &str) -> ColumnDef {
    schema::big_integer(id(name))
}

pub fn int_default(name: &str, value: i64) -> ColumnDef {
    let mut column = schema::big_integer(id(name));
    column.default(value);
    column
}

pub fn int_null(name: &str) -> ColumnDef {
    schema::big_integer_null(id(name))
}

pub fn boolean(name: &str, default: bool) -> ColumnDef {
    let mut column = schema::boolean(id(name));
    column.default(default);
    column
}

pub fn json(name: &str) -> ColumnDef {
    schema::json_binary(id(name))
}

pub fn json_null(name: &str) -> ColumnDef {
    schema::json_binary_null(id(name))
}

/// A `workspace_id` column referencing `workspaces.id`, cascading on workspace deletion.
pub fn workspace_fk(table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_workspace"))
        .from(id(table), id("workspace_id"))
        .to(id("workspaces"), id("id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// Creates a table with `columns`, `workspace_id` + its foreign key, and nothing else.
pub fn workspace_table(table: &str, columns: Vec<ColumnDef>) -> TableCreateStatement {
    let mut statement = Table::create();
    statement.table(id(table)).if_not_exists().col(pk()).col(int("workspace_id"));
    for mut column in columns {
        statement.col(&mut column);
    }
    statement.foreign_key(&mut workspace_fk(table));
    statement.to_owned()
}

/// An index over `columns` of `table`, optionally unique; named after both.
pub fn index(table: &str, columns: &[&str], unique: bool) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(format!("ix_{table}_{}", columns.join("_"))).table(id(table)).if_not_exists();
    for column in columns {
        statement.col(id(column));
    }
    if unique {
        statement.unique();
    }
    statement.to_owned()
}

/// Runs the statements of one migration in order.
pub async fn create_all(
    manager: &SchemaManager<'_>,
    tables: Vec<TableCreateStatement>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for table in tables {
        manager.create_table(table).await?;
    }
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}

/// Drops the named tables, last created first.
pub async fn drop_all(manager: &SchemaManager<'_>, tables: &[&str]) -> Result<(), DbErr> {
    for table in tables.iter().rev() {
        manager.drop_table(Table::drop().table(id(table)).if_exists().to_owned()).await?;
    }
    Ok(())
}
