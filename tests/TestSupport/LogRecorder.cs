using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PuffinOffset.TestSupport;

/// <summary>Keeps every log record at or above <paramref name="minimum"/> that a host writes, for tests that assert on logs.</summary>
public sealed class LogRecorder(LogLevel minimum = LogLevel.Warning) : ILoggerProvider, ISupportExternalScope
{
    public sealed record Entry(string Service, string Category, LogLevel Level, string Message, Exception? Exception)
    {
        /// <summary>The key/value pairs of the log scopes open when the record was written (what an exporter attaches to it).</summary>
        public IReadOnlyDictionary<string, object?> Scopes { get; init; } = new Dictionary<string, object?>();

        public override string ToString() => $"{Service} {Level} {Category}: {Message}{(Exception is null ? "" : $" ({Exception.GetType().Name}: {Exception.Message})")}";
    }

    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly LogLevel _minimum = minimum;
    private IExternalScopeProvider? _scopes;

    public IReadOnlyList<Entry> Entries => [.. _entries];

    /// <summary>A provider for one host whose records carry <paramref name="service"/>.</summary>
    public ILoggerProvider For(string service) => new ServiceProvider(this, service);

    public ILogger CreateLogger(string categoryName) => new Logger(this, () => _scopes, "", categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class ServiceProvider(LogRecorder recorder, string service) : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider? _scopes;

        public ILogger CreateLogger(string categoryName) => new Logger(recorder, () => _scopes, service, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }
    }

    private sealed class Logger(LogRecorder recorder, Func<IExternalScopeProvider?> scopes, string service, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => scopes()?.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= recorder._minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                recorder._entries.Enqueue(new Entry(service, category, logLevel, formatter(state, exception), exception) { Scopes = ScopeValues() });
            }
        }

        private Dictionary<string, object?> ScopeValues()
        {
            var values = new Dictionary<string, object?>();
            scopes()?.ForEachScope((scope, into) =>
            {
                if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
                {
                    foreach (var (key, value) in pairs)
                    {
                        into[key] = value;
                    }
                }
            }, values);
            return values;
        }
    }
}
