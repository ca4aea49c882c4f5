using PuffinOffset.Api.Admin;

namespace PuffinOffset.Api.Tests.Admin;

/// <summary>The export's cells: what finance's spreadsheet opens must never run as a formula.</summary>
public sealed class OrderExportCsvTests
{
    [Theory]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("plain", "plain")]
    public void An_export_cell_is_never_a_formula_and_is_quoted_when_needed(string value, string cell) =>
        Assert.Equal(cell, OrderExport.Cell(value));
}
