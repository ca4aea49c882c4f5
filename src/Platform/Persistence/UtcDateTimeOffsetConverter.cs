using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace PuffinOffset.Platform.Persistence;

/// <summary>Stores a <see cref="DateTimeOffset"/> as its UTC <see cref="DateTime"/>.</summary>
public sealed class UtcDateTimeOffsetConverter() : ValueConverter<DateTimeOffset, DateTime>(
    value => value.UtcDateTime,
    value => new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)));
