"""CSV and XLSX exports of filtered letter lists, built by an arq job."""
