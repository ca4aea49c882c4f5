namespace PuffinOffset.HistorySeed;

public static class HotQueries
{
    public static Task ExplainAsync(bool postgres, string api, string fulfillment, TextWriter output) => Task.CompletedTask;
}
