/* true: succeed (the smallest program; bench times fork+exec+wait of it). */
int main(void)
{
	return 0;
}
