using System.Globalization;

namespace PuffinOffset.Chaos;

/// <summary>
/// The command line: <c>--duration hh:mm:ss</c> of workload and faults, <c>--seed</c> of every random choice,
/// <c>--provider postgres|sqlite</c>, <c>--rate</c> new orders per second, <c>--settle hh:mm:ss</c> the longest wait
/// for the system to come to rest once the faults stop.
/// </summary>
public sealed record SoakOptions(TimeSpan Duration, int Seed, string Provider, double OrdersPerSecond, TimeSpan SettleTimeout)
{
    public const string Usage =
        "usage: dotnet run -c Release --project bench/Chaos -- [--duration 00:02:00] [--seed 42] [--provider postgres|sqlite] [--rate 2] [--settle 00:03:00]";

    public bool Postgres => Provider == "postgres";

    /// <summary>The production shape on PostgreSQL; SQLite allows one process per database file.</summary>
    public int ApiReplicas => Postgres ? 2 : 1;

    public int FulfillmentReplicas => Postgres ? 3 : 1;

    public static SoakOptions Parse(string[] args)
    {
        var options = new SoakOptions(TimeSpan.FromMinutes(2), 42, "postgres", 2, TimeSpan.FromMinutes(3));
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.\n{Usage}");
            options = args[i] switch
            {
                "--duration" => options with { Duration = TimeSpan.ParseExact(value, "c", CultureInfo.InvariantCulture) },
                "--seed" => options with { Seed = int.Parse(value, CultureInfo.InvariantCulture) },
                "--provider" when value is "postgres" or "sqlite" => options with { Provider = value },
                "--rate" => options with { OrdersPerSecond = double.Parse(value, CultureInfo.InvariantCulture) },
                "--settle" => options with { SettleTimeout = TimeSpan.ParseExact(value, "c", CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown argument {args[i]} {value}.\n{Usage}"),
            };
            i++;
        }

        return options;
    }
}
