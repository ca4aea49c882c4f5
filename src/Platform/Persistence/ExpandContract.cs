using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// Marks a migration that removes or changes what the previous release reads or writes (a dropped or renamed
/// column or table, a new required column without a default): a contract step, allowed only in a release after
/// the one that stopped using it (docs/production.md, "Schema changes: expand, then contract").
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ContractStepAttribute(string reason) : Attribute
{
    public string Reason { get; } = reason;
}

/// <summary>
/// The expand/contract rule, checked over a context's migrations: a migration that is not marked
/// <see cref="ContractStepAttribute"/> only adds (tables, nullable or defaulted columns, indexes), so the previous
/// release keeps working on the schema a release's migrate step leaves, and a rollback needs no down-migration.
/// </summary>
public static partial class ExpandContract
{
    [System.Text.RegularExpressions.GeneratedRegex(@"\b(DROP\s+(COLUMN|TABLE)|RENAME)\b[^;]*", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex DropsOrRenamesRegex();

    private static readonly System.Text.RegularExpressions.Regex DropsOrRenames = DropsOrRenamesRegex();

    /// <summary>Each operation of an unmarked migration after <paramref name="ruleSince"/> that the previous release could trip on.</summary>
    public static IReadOnlyList<string> Violations(DbContext db, string ruleSince)
    {
        var migrations = db.GetService<IMigrationsAssembly>();
        var provider = db.Database.ProviderName!;
        var violations = new List<string>();
        foreach (var (id, type) in migrations.Migrations.Where(m => string.CompareOrdinal(m.Key, ruleSince) > 0))
        {
            if (type.GetCustomAttribute<ContractStepAttribute>() is not null)
            {
                continue;
            }

            var operations = migrations.CreateMigration(type, provider).UpOperations;
            var newTables = operations.OfType<CreateTableOperation>().Select(t => t.Name).ToHashSet();
            violations.AddRange(operations.Select(operation => Breaks(operation, newTables)).OfType<string>().Select(what => $"{id}: {what}"));
        }

        return violations;
    }

    private static string? Breaks(MigrationOperation operation, HashSet<string> newTables) => operation switch
    {
        DropTableOperation drop => $"drops table {drop.Name}",
        RenameTableOperation rename => $"renames table {rename.Name}",
        DropColumnOperation drop => $"drops column {drop.Table}.{drop.Name}",
        RenameColumnOperation rename => $"renames column {rename.Table}.{rename.Name}",
        AddColumnOperation { IsNullable: false, DefaultValue: null, DefaultValueSql: null, ComputedColumnSql: null } add
            when !newTables.Contains(add.Table) => $"adds required column {add.Table}.{add.Name} without a default (the previous release's inserts fail)",
        AlterColumnOperation alter when alter.ClrType != alter.OldColumn.ClrType => $"changes the type of column {alter.Table}.{alter.Name}",
        AlterColumnOperation { IsNullable: false, OldColumn.IsNullable: true } alter => $"makes column {alter.Table}.{alter.Name} required",
        SqlOperation sql when DropsOrRenames.IsMatch(sql.Sql) => $"runs SQL that drops or renames: {DropsOrRenames.Match(sql.Sql).Value}",
        _ => null,
    };
}
