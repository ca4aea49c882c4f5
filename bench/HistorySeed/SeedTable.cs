namespace PuffinOffset.HistorySeed;

/// <summary>How a value is stored: EF Core's mapping on each engine (SQLite keeps guids, times and decimals as text).</summary>
public enum ColumnKind { Uuid, Text, Int, Long, Bool, Time, Decimal, TextList }

public sealed record Column(string Name, ColumnKind Kind);

/// <summary>Rows for one table, in the order of <see cref="Columns"/>; <see cref="Count"/> of them.</summary>
public sealed record SeedTable(string Name, IReadOnlyList<Column> Columns, long Count, Func<long, object?[]> Row);
