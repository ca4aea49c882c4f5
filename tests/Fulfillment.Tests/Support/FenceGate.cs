using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using PuffinOffset.Fulfillment.Purchases;

namespace PuffinOffset.Fulfillment.Tests.Support;

/// <summary>
/// Stalls a replica's first POST step at its lease fence (<see cref="FulfillmentProcessor.FenceQueryTag"/>), as a VM
/// pause or SIGSTOP would: before the fence's read is sent, or after the database answered it (the check passed, the
/// POST not yet sent), until the test opens the gate.
/// </summary>
public sealed class FenceGate(bool afterTheCheck) : DbCommandInterceptor
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _taken;

    public Task Reached => _reached.Task;

    public void Open() => _open.TrySetResult();

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        if (!afterTheCheck)
        {
            await StallOnceAsync(command);
        }

        return result;
    }

    public override async ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        if (afterTheCheck)
        {
            await StallOnceAsync(command);
        }

        return result;
    }

    private async Task StallOnceAsync(DbCommand command)
    {
        if (command.CommandText.Contains(FulfillmentProcessor.FenceQueryTag, StringComparison.Ordinal) && Interlocked.Exchange(ref _taken, 1) == 0)
        {
            _reached.TrySetResult();
            await _open.Task;
        }
    }
}
