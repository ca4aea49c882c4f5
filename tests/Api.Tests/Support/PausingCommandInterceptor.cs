using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace PuffinOffset.Api.Tests.Support;

/// <summary>Holds the first SQL command matching <paramref name="matches"/> before it runs, until the test releases it.</summary>
public sealed class PausingCommandInterceptor(Func<string, bool> matches) : DbCommandInterceptor
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _taken;

    /// <summary>Completes when the matching command is being held.</summary>
    public Task Reached => _reached.Task;

    public void Release() => _released.TrySetResult();

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await HoldAsync(command);
        return result;
    }

    public override async ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData,
        InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        await HoldAsync(command);
        return result;
    }

    private async Task HoldAsync(DbCommand command)
    {
        if (matches(command.CommandText) && Interlocked.Exchange(ref _taken, 1) == 0)
        {
            _reached.TrySetResult();
            await _released.Task;
        }
    }
}
