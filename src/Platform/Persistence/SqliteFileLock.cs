using Microsoft.Extensions.Hosting;

namespace PuffinOffset.Platform.Persistence;

/// <summary>
/// One process per SQLite file. Two processes on one file would each run an outbox dispatcher, a worker
/// and consumers over the same rows, with nothing coordinating them (a second Fulfillment could buy an
/// offset twice). The lock is an exclusive OS lock on <c>&lt;database&gt;.lock</c>, held for the process's
/// lifetime and released by the OS when the process ends, however it ends (kill -9 included), so a
/// stale lock file never blocks a restart. SQLite only: several replicas are a PostgreSQL deployment.
/// </summary>
public sealed class SqliteFileLock(string databasePath) : IDisposable
{
    /// <summary>Marks the exception that stops a second process, for a one-line startup message (see StartupChecks).</summary>
    public const string StartupRefusal = "PuffinOffset.StartupRefusal";

    private readonly Lock _gate = new();
    private FileStream? _held;

    public string LockPath { get; } = Path.GetFullPath(databasePath) + ".lock";

    /// <summary>Takes the lock, or throws if another process (or host in this process) holds it. Idempotent.</summary>
    public void Acquire()
    {
        lock (_gate)
        {
            if (_held is not null)
            {
                return;
            }

            if (Path.GetDirectoryName(LockPath) is { Length: > 0 } folder)
            {
                Directory.CreateDirectory(folder);
            }

            try
            {
                // FileShare.None is an exclusive flock on Unix and a share-mode lock on Windows.
                _held = new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex)
            {
                var refusal = new InvalidOperationException(
                    $"The database {Path.GetFullPath(databasePath)} is in use by another process (it holds {LockPath}). " +
                    "Run one process per SQLite file; several replicas need PostgreSQL.", ex);
                refusal.Data[StartupRefusal] = true;
                throw refusal;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _held?.Dispose();
            _held = null;
        }
    }

    /// <summary>Takes the lock when the host starts, before every later hosted service (outbox, worker, bus).</summary>
    internal sealed class Holder(SqliteFileLock fileLock) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            fileLock.Acquire();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
