using System.Data.Common;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// New rows of one entity type written as multi-row <c>INSERT</c>s in the context's current transaction, instead of one
/// tracked entity each (a snapshot, column modifications and a statement per row in <c>SaveChanges</c>). Table, columns
/// and value conversions come from the EF Core model, which with the migrations stays the owner of the schema.
/// Store-generated columns (an identity) are left to the database and nothing is read back: the rows are not tracked.
/// A duplicate key fails the statement as it would fail <c>SaveChanges</c> (<see cref="DatabaseErrors"/> sees either).
/// </summary>
public static class MultiRowInsert
{
    /// <summary>Below both engines' limit on parameters in one statement (SQLite 32,766, PostgreSQL 65,535).</summary>
    private const int MaxParameters = 30_000;

    public static async Task WriteAsync<TEntity>(DbContext db, IReadOnlyList<TEntity> rows, CancellationToken cancellationToken)
        where TEntity : class
    {
        if (rows.Count == 0)
        {
            return;
        }

        var entityType = db.Model.FindEntityType(typeof(TEntity))
            ?? throw new InvalidOperationException($"{typeof(TEntity)} is not in {db.GetType().Name}'s model.");
        var table = StoreObjectIdentifier.Table(entityType.GetTableName()!, entityType.GetSchema());
        var columns = entityType.GetProperties().Where(p => p.ValueGenerated != ValueGenerated.OnAdd).ToArray();
        if (columns.FirstOrDefault(p => p.IsShadowProperty()) is { } shadow)
        {
            throw new InvalidOperationException($"{entityType.DisplayName()}.{shadow.Name} is a shadow property: its value is not on the entity.");
        }

        var sql = db.GetService<ISqlGenerationHelper>();
        var header = new StringBuilder("INSERT INTO ").Append(sql.DelimitIdentifier(table.Name, table.Schema)).Append(" (")
            .AppendJoin(", ", columns.Select(p => sql.DelimitIdentifier(p.GetColumnName(table)!)))
            .Append(") VALUES ").ToString();
        var getters = columns.Select(p => p.GetGetter()).ToArray();
        var mappings = columns.Select(p => p.GetRelationalTypeMapping()).ToArray();
        using var factory = db.Database.GetDbConnection().CreateCommand();
        var rowsPerStatement = MaxParameters / columns.Length;
        for (var start = 0; start < rows.Count; start += rowsPerStatement)
        {
            var count = Math.Min(rowsPerStatement, rows.Count - start);
            var text = new StringBuilder(header, header.Length + count * columns.Length * 8);
            var parameters = new DbParameter[count * columns.Length];
            for (var row = 0; row < count; row++)
            {
                text.Append(row == 0 ? "(" : ", (");
                for (var column = 0; column < columns.Length; column++)
                {
                    var index = row * columns.Length + column;
                    var name = "p" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    text.Append(column == 0 ? "" : ", ").Append(sql.GenerateParameterNamePlaceholder(name));
                    // The type mapping converts as SaveChanges would (e.g. a DateTimeOffset stored as UTC text on SQLite).
                    parameters[index] = mappings[column].CreateParameter(factory, name,
                        getters[column].GetClrValueUsingContainingEntity(rows[start + row]), columns[column].IsNullable);
                }

                text.Append(')');
            }

            await db.Database.ExecuteSqlRawAsync(text.ToString(), parameters, cancellationToken);
        }
    }
}
