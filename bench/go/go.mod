module gortbench

go 1.18
